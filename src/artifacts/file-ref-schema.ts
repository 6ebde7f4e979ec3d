// FileRefs as a remote peer may send them (a submitted spec, a leased trial): content hashes
// or shared paths, every field bounded. A client path (`local`) is refused by name: staging
// must have turned it into an artifact before the spec left the client.
import { isAbsolute } from 'node:path';
import { z } from 'zod';
import { MAX_ARTIFACT_NAME_LENGTH, MAX_PATH_LENGTH, MAX_WEIGHT_FILES, SHA256_PATTERN, type FileRef } from './file-ref.js';

function rule(expected: string, message: string): { message: string; params: { expected: string } } {
  return { message, params: { expected } };
}

const sha256 = z.string().regex(SHA256_PATTERN, rule('a sha256 (64 lowercase hex digits)', 'expected a sha256: 64 lowercase hex digits'));

const artifactName = z
  .string()
  .min(1)
  .max(MAX_ARTIFACT_NAME_LENGTH)
  .refine((name) => !/[/\\\0]/.test(name), rule('a base file name', 'a file name without a directory part'));

const sharedPath = z
  .string()
  .min(1)
  .max(MAX_PATH_LENGTH)
  .refine((path) => isAbsolute(path) && !path.includes('\0'), rule('an absolute path', 'a shared path must be absolute'));

const artifactRef = z.strictObject({ kind: z.literal('artifact'), sha256, size: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER), name: artifactName });
const sharedRef = z.strictObject({ kind: z.literal('shared'), path: sharedPath });
const refusedLocalRef = z
  .object({ kind: z.literal('local') })
  .refine(
    () => false,
    rule(
      'an artifact (sha256) or a shared path',
      'a client path — a coordinator never reads a path a client chose; `plateau submit` uploads the file and names it by its sha256',
    ),
  );

/** A FileRef from a remote peer: artifact or shared; local is refused with a reason. */
export const remoteFileRefSchema: z.ZodType<FileRef> = z.discriminatedUnion('kind', [artifactRef, sharedRef, refusedLocalRef]) as z.ZodType<FileRef>;

/** The shard map of a model.json: weightsManifest path → file, bounded in count and key length. */
export const weightFilesSchema = z
  .record(z.string().min(1).max(MAX_PATH_LENGTH), remoteFileRefSchema)
  .refine((weights) => Object.keys(weights).length <= MAX_WEIGHT_FILES, rule(`at most ${MAX_WEIGHT_FILES} weight files`, `more than ${MAX_WEIGHT_FILES} weight files`));
