/**
 * An emulated Google service account: a fresh RSA key pair and the JSON key file GCP would issue for it, with
 * `token_uri` pointing at the emulator. The emulator keeps the public key to check the signed JWTs.
 */
import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';

export interface ServiceAccount {
  /** The key file's JSON, as `vertex_credentials` takes it. */
  key: {
    type: 'service_account';
    project_id: string;
    private_key_id: string;
    private_key: string;
    client_email: string;
    client_id: string;
    token_uri: string;
  };
  publicKey: KeyObject;
}

export function makeServiceAccount(project: string, tokenUri: string): ServiceAccount {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    key: {
      type: 'service_account',
      project_id: project,
      private_key_id: randomBytes(20).toString('hex'),
      private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      client_email: `sluice-batch@${project}.iam.gserviceaccount.com`,
      client_id: String(100000000000000000000n + BigInt(randomBytes(6).readUIntBE(0, 6))),
      token_uri: tokenUri,
    },
    publicKey,
  };
}
