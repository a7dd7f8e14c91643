/**
 * RSAES-PKCS1-v1_5 unpadding (RFC 8017 §7.2.2) of a raw RSA result, for BYOK's
 * RSAES_PKCS1_V1_5 wrapping: Node 20 refuses RSA_PKCS1_PADDING in privateDecrypt
 * (CVE-2023-46809), so byok.ts decrypts with RSA_NO_PADDING and unpads here.
 *
 * The expected message length is known (the key spec's material size), so no separator search
 * is needed: EM must be exactly 00 ‖ 02 ‖ PS (nonzero) ‖ 00 ‖ M with |M| = expected. Every byte
 * is examined with branch-free arithmetic and the verdict is a single comparison at the end, so
 * the time taken does not depend on where the padding is wrong; callers reject every failure
 * (bad padding, wrong length, RSA error) with one and the same error.
 */
export function unpadPkcs1v15(em: Buffer, expectedLength: number): Buffer | null {
  const separator = em.length - expectedLength - 1;
  // Sizes are public; PS must be at least 8 bytes (RFC 8017).
  if (separator < 10) return null;
  let bad = em[0]! | (em[1]! ^ 0x02) | em[separator]!;
  for (let i = 2; i < separator; i++) {
    // (b - 1) >> 31 is -1 exactly when b is 0: marks a zero byte inside PS without branching.
    bad |= (em[i]! - 1) >> 31;
  }
  return bad === 0 ? Buffer.from(em.subarray(separator + 1)) : null;
}
