/** Seed 002 audio assets, owned by the assets service. */
export const AudioAssetCommandSubjects = {} as const;

export const AudioAssetCommands = {} as const;
