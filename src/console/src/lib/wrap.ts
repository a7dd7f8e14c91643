/**
 * BYOK in the browser: key material is made (or read) here and wrapped with the KMS's one-time
 * RSA public key (RSAES_OAEP_SHA_256), so only the wrapped form leaves the page.
 */

export const MATERIAL_BYTES: Record<string, number> = { Aliyun_AES_256: 32, Aliyun_SM4: 16 };

const fromBase64 = (b64: string): Uint8Array<ArrayBuffer> => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));

function toBase64(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

/** Fresh random material of the key's size. */
export function generateMaterial(keySpec: string): Uint8Array<ArrayBuffer> {
  return crypto.getRandomValues(new Uint8Array(MATERIAL_BYTES[keySpec]));
}

/** Wraps material with GetParametersForImport's PublicKey (base64 DER SubjectPublicKeyInfo); the result is base64. */
export async function wrapMaterial(publicKeyB64: string, material: Uint8Array<ArrayBuffer>): Promise<string> {
  const key = await crypto.subtle.importKey('spki', fromBase64(publicKeyB64), { name: 'RSA-OAEP', hash: 'SHA-256' }, false, ['encrypt']);
  return toBase64(new Uint8Array(await crypto.subtle.encrypt({ name: 'RSA-OAEP' }, key, material)));
}
