/**
 * The JSON Schema of chatctl.json, generated from the zod schema (core/topology.ts) at build, so that editors
 * complete and check the file; `chatctl init` points the file's `$schema` at it. The zod schema stays the
 * judge: rules across fields (a home region that is one of the regions, lanes that sum to at most 900) are
 * checked by chatctl only (as is a probe subnet that two regions share, which `init`, `region add` and every
 * load of the file refuse, naming both regions).
 */
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { z } from 'zod';
import { COMMERCIAL_AWS_REGIONS } from './aws-regions.js';
import { topologySchema, writeFileAtomic } from './topology.js';

export const SCHEMA_FILE = 'chatctl.schema.json';

/** The folder of chatctl's own package.json (the repo, or where the package is installed). */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

export function topologySchemaPath(): string {
  return join(packageRoot(), SCHEMA_FILE);
}

type JsonObject = { [key: string]: unknown };

export function topologyJsonSchema(): JsonObject {
  const schema = z.toJSONSchema(topologySchema, { io: 'input', unrepresentable: 'any' }) as JsonObject;
  const properties = schema.properties as Record<string, JsonObject>;
  const region = (properties.regions.items as JsonObject).properties as Record<string, JsonObject>;
  // A refine() has no JSON Schema form; the list it checks against has one.
  region.awsRegion = { ...region.awsRegion, enum: [...COMMERCIAL_AWS_REGIONS] };
  return { ...schema, title: 'chatctl topology (chatctl.json)' };
}

/** Writes chatctl.schema.json beside package.json; returns its path. */
export async function writeTopologySchema(path = topologySchemaPath()): Promise<string> {
  await writeFileAtomic(path, `${JSON.stringify(topologyJsonSchema(), null, 2)}\n`);
  return path;
}

/** The `$schema` value for a chatctl.json at `topologyPath`: a relative path (a file URL across drives). */
export function schemaReference(topologyPath: string, schemaPath = topologySchemaPath()): string {
  const rel = relative(dirname(topologyPath), schemaPath);
  if (isAbsolute(rel)) return pathToFileURL(schemaPath).href;
  const posix = rel.split(sep).join('/');
  return posix.startsWith('.') ? posix : `./${posix}`;
}
