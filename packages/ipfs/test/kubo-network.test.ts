import { startKubo, type StartedKubo } from '@media-vault/test-harness';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IpfsNotFoundError, createKuboIpfs, type IpfsPort } from '../src/index.js';
import { collect, piecesOf, pseudoRandomBytes, sameBytes } from './bytes.js';

/**
 * Three Kubo daemons on loopback, as a studio's, a licensee's and the platform's nodes, connected
 * as under `npm run dev`: each agent's node to the platform's only. Blocks added on one must reach
 * another only through reads that allow the network, the studio's found by its peer id.
 */
describe('Kubo adapter between separate nodes', () => {
  let nodes: StartedKubo[];
  let studio: IpfsPort;
  let licensee: IpfsPort;
  let platform: IpfsPort;
  const timeoutMs = 3_000;

  beforeAll(async () => {
    const hub = await startKubo({ online: true, label: 'kubo-platform' });
    nodes = [
      await startKubo({ online: true, peers: [hub], label: 'kubo-studio' }),
      await startKubo({ online: true, peers: [hub], label: 'kubo-licensee' }),
      hub,
    ];
    [studio, licensee, platform] = nodes.map((node) => createKuboIpfs({ url: node.apiUrl })) as [
      IpfsPort,
      IpfsPort,
      IpfsPort,
    ];
  }, 120_000);

  afterAll(async () => {
    await Promise.allSettled((nodes ?? []).map((node) => node.stop()));
  });

  it('refuses a local-only read of a block another node holds, promptly', async () => {
    const { cid } = await studio.add(piecesOf(pseudoRandomBytes(300_000, 51), 65_536));
    const started = performance.now();
    await expect(collect(licensee.cat(cid))).rejects.toBeInstanceOf(IpfsNotFoundError);
    await expect(licensee.stat(cid)).rejects.toBeInstanceOf(IpfsNotFoundError);
    await expect(licensee.pin(cid)).rejects.toBeInstanceOf(IpfsNotFoundError);
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it('reads a multi-block file from the node that added it when the network is allowed', async () => {
    const peers = async (url: string) =>
      (await (await fetch(`${url}/api/v0/swarm/peers`, { method: 'POST' })).text()).includes(
        await studio.peerId(),
      );
    const bytes = pseudoRandomBytes(3 * 262_144 + 17, 52);
    const { cid } = await studio.add(piecesOf(bytes, 100_000));
    const network = { timeoutMs, peers: [await studio.peerId()] };
    expect(await licensee.stat(cid, { network })).toEqual({ cid, size: bytes.length });
    const { bytes: read } = await collect(licensee.cat(cid, { network }));
    expect(sameBytes(read, bytes)).toBe(true);
    // Found through the LAN DHT (the platform's node introduced them) and dialled directly.
    expect(await peers(nodes[1]!.apiUrl)).toBe(true);
  });

  it('pins over the network, and the pinned copy outlives the node it came from', async () => {
    const bytes = pseudoRandomBytes(2 * 262_144 + 5, 53);
    const { cid } = await studio.add(piecesOf(bytes, 100_000));
    await platform.pin(cid, { network: { timeoutMs, peers: [await studio.peerId()] } });
    expect(await platform.isPinned(cid)).toBe(true);
    // Local-only now: every block of the DAG is on the platform's node.
    expect(sameBytes((await collect(platform.cat(cid))).bytes, bytes)).toBe(true);
    // Pinning again (a redelivered job) is fine.
    await platform.pin(cid, { network: { timeoutMs } });
  });

  it('gives up on a CID nobody holds after the timeout, not before', async () => {
    const { cid } = await studio.add(piecesOf(pseudoRandomBytes(1_000, 54), 1_000));
    // Take it back off the studio's node: now no node has it.
    const res = await fetch(`${nodes[0]!.apiUrl}/api/v0/block/rm?arg=${cid}`, { method: 'POST' });
    expect(res.ok).toBe(true);
    for (const read of [() => collect(licensee.cat(cid, { network: { timeoutMs } }))]) {
      const started = performance.now();
      const err = await read().then(
        () => undefined,
        (e: unknown) => e,
      );
      const ms = performance.now() - started;
      expect(err).toBeInstanceOf(IpfsNotFoundError);
      expect((err as Error).message).toMatch(/not found on the IPFS network within 3 s/);
      expect(ms).toBeGreaterThanOrEqual(timeoutMs - 100);
      expect(ms).toBeLessThan(timeoutMs + 5_000);
    }
  });
});
