import getPort from 'get-port';

/** A free TCP port on loopback; get-port also avoids handing the same port out twice in one process. */
export const freePort = (): Promise<number> => getPort({ host: '127.0.0.1' });
