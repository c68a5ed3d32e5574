// Small things several commands share.
export const DEFAULT_DATA = './data/cifar-10-batches-bin';

/** --data, else CMV3_DATA, else ./data/cifar-10-batches-bin */
export function dataDir(flag: string | undefined): string {
  return flag ?? process.env.CMV3_DATA ?? DEFAULT_DATA;
}
