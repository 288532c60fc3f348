/** SigV4 presigned URLs cannot outlive 7 days; LocalStorage applies the same cap so drivers agree. */
export const MAX_PRESIGN_EXPIRY_SECONDS = 7 * 24 * 60 * 60;

/** @throws RangeError unless `expiresInSeconds` is a whole number in 1..MAX_PRESIGN_EXPIRY_SECONDS. */
export function assertValidPresignExpiry(expiresInSeconds: number): void {
  if (!Number.isInteger(expiresInSeconds) || expiresInSeconds < 1 || expiresInSeconds > MAX_PRESIGN_EXPIRY_SECONDS) {
    throw new RangeError(
      `expiresInSeconds must be an integer between 1 and ${MAX_PRESIGN_EXPIRY_SECONDS}, got ${expiresInSeconds}`,
    );
  }
}
