import { generatedJsonl } from '../../dev/generated-jsonl.js';

/**
 * A large batch file for the group `gpt-4o-batch` whose second line is not JSON: an upload of it is refused at
 * line 2, long before its body has all arrived (the tests of refused uploads on each transport).
 */
export async function badSecondLine(bytes: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of generatedJsonl({ bytes, model: 'gpt-4o-batch', lineBytes: 4096 })) parts.push(chunk);
  const body = Buffer.concat(parts);
  body.write('{not json', body.indexOf(10) + 1, 'utf8'); // overwrites the start of line 2, keeps the size
  return body;
}
