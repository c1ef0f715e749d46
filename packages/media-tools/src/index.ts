export {
  clampPercent,
  FfmpegError,
  FfmpegRunner,
  FfprobeUnreadableError,
  type FfmpegTools,
  type RunOptions,
} from './ffmpeg-runner.js';
export { bitrateOf, probeMp3, probeOutput, type Mp3Verdict } from './audio-probe.js';
export { probeMaster } from './master-probe.js';
export { toolVersion } from './tool-version.js';
