/**
 * Checks values against schemas from the OpenAI OpenAPI spec, so tests can
 * assert that what sluice (or an emulator) sends is shaped like OpenAI's API.
 *
 * The schemas come from test/fixtures/openai-schemas.json, a verbatim extract
 * of the spec made by test/fixtures/extract-openai-schemas.ts (parsing the full
 * 3 MB YAML at test time would be slow).
 *
 * Two deliberate departures from the literal spec, both applied when loading:
 *
 * 1. Optional properties also accept `null`. The spec (OpenAPI 3.1) types e.g.
 *    Batch.output_file_id as plain `string` and leaves it out of `required`,
 *    but the live API sends explicit `null`s for unset fields, and the spec's
 *    own examples for Batch show `"errors": null`, `"output_file_id": null`,
 *    `"failed_at": null`... Required properties stay strict.
 * 2. ListFilesResponse.first_id/last_id accept `null`. The spec requires them
 *    as strings, but an empty page has no first or last id; sibling list
 *    schemas in the same spec (e.g. ListCertificatesResponse) model exactly
 *    this as `string | null`.
 *
 * OpenAPI 3.0's `nullable: true` is also honoured (turned into a `null` type
 * alternative), though the current spec version no longer uses it here.
 */
import { readFileSync } from 'node:fs';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';

type JsonObject = Record<string, unknown>;

interface SchemaFixture {
  $comment: string;
  openapi: string;
  roots: string[];
  components: { schemas: Record<string, JsonObject> };
}

/** Required-by-spec properties that the wire format leaves null on empty lists (see header, point 2). */
const NULL_WHEN_EMPTY: Record<string, string[]> = {
  ListFilesResponse: ['first_id', 'last_id'],
};

const FIXTURE_ID = 'openai-schemas.json';

function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function allowsNull(schema: unknown): boolean {
  if (!isObject(schema)) return true; // `true` / `{}`-like schemas accept anything
  const type = schema['type'];
  if (type === 'null' || (Array.isArray(type) && type.includes('null'))) return true;
  const anyOf = schema['anyOf'] ?? schema['oneOf'];
  return Array.isArray(anyOf) && anyOf.some(allowsNull);
}

function orNull(schema: unknown): unknown {
  return allowsNull(schema) ? schema : { anyOf: [schema, { type: 'null' }] };
}

const SCHEMA_MAPS = new Set(['properties', 'patternProperties', '$defs', 'definitions']);

/** Deep copy of a schema with the nullability rules from the header applied. */
function loosenNulls(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(loosenNulls);
  if (!isObject(schema)) return schema;

  const out: JsonObject = {};
  for (const [key, value] of Object.entries(schema)) {
    if (SCHEMA_MAPS.has(key) && isObject(value)) {
      // name -> schema maps: the keys are property names, not keywords.
      out[key] = Object.fromEntries(Object.entries(value).map(([name, sub]) => [name, loosenNulls(sub)]));
    } else {
      // Examples and vendor extensions are data, not schemas: copy as-is.
      out[key] = key === 'example' || key === 'examples' || key.startsWith('x-') ? value : loosenNulls(value);
    }
  }

  if (out['nullable'] === true) {
    delete out['nullable'];
    return orNull(out);
  }

  if (isObject(out['properties'])) {
    const required = new Set(Array.isArray(out['required']) ? (out['required'] as string[]) : []);
    const properties: JsonObject = {};
    for (const [name, prop] of Object.entries(out['properties'])) {
      properties[name] = required.has(name) ? prop : orNull(prop);
    }
    out['properties'] = properties;
  }
  return out;
}

function loadValidators(): { ajv: Ajv2020; names: Set<string> } {
  const fixture = JSON.parse(readFileSync(new URL('../fixtures/openai-schemas.json', import.meta.url), 'utf8')) as SchemaFixture;

  const schemas: JsonObject = {};
  for (const [name, schema] of Object.entries(fixture.components.schemas)) {
    const loosened = loosenNulls(schema) as JsonObject;
    const patched = NULL_WHEN_EMPTY[name];
    if (patched && isObject(loosened['properties'])) {
      const props = loosened['properties'];
      for (const prop of patched) props[prop] = orNull(props[prop]);
    }
    schemas[name] = loosened;
  }

  // strict:false lets Ajv skip OpenAPI-only keywords (example, x-oaiMeta,
  // x-stainless-const, deprecated...) instead of rejecting the schema.
  const ajv = new Ajv2020({ strict: false, allErrors: true, verbose: true });
  // The spec's one custom format: Unix timestamps in whole seconds.
  ajv.addFormat('unixtime', { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= 0 });
  ajv.addSchema({ $id: FIXTURE_ID, components: { schemas } });
  return { ajv, names: new Set(Object.keys(schemas)) };
}

let loaded: ReturnType<typeof loadValidators> | undefined;
const compiled = new Map<string, ValidateFunction>();

function validatorFor(schemaName: string): ValidateFunction {
  loaded ??= loadValidators();
  let validate = compiled.get(schemaName);
  if (!validate) {
    if (!loaded.names.has(schemaName)) {
      throw new Error(
        `validateOpenAI: unknown schema "${schemaName}"; the fixture has ${[...loaded.names].join(', ')}. ` +
          'Add it to ROOT_SCHEMAS in test/fixtures/extract-openai-schemas.ts and re-run that script.',
      );
    }
    validate = loaded.ajv.getSchema(`${FIXTURE_ID}#/components/schemas/${schemaName}`);
    if (!validate) throw new Error(`validateOpenAI: could not compile schema "${schemaName}"`);
    compiled.set(schemaName, validate);
  }
  return validate;
}

function brief(value: unknown, max = 120): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

function describe(error: ErrorObject): string {
  const where = error.instancePath === '' ? '(root)' : error.instancePath;
  let line = `${where} ${error.message ?? error.keyword}`;
  if (error.keyword === 'enum') line += ` ${brief((error.params as { allowedValues: unknown }).allowedValues)}`;
  if (error.keyword !== 'required' && error.keyword !== 'anyOf') line += ` (got ${brief(error.data)})`;
  return line;
}

/**
 * Throws unless `value` matches `components.schemas[schemaName]` of the OpenAI
 * spec (with the null rules described at the top of this file). The error
 * lists every mismatch by JSON pointer, e.g.
 * `Batch: /status must be equal to one of the allowed values [...] (got "done")`.
 */
export function validateOpenAI(schemaName: string, value: unknown): void {
  const validate = validatorFor(schemaName);
  if (validate(value)) return;
  const errors = validate.errors ?? [];
  // With allErrors, a failed `anyOf [X, null]` also reports "must be null" and
  // "must match a schema in anyOf"; X's own errors already say what is wrong.
  const useful = errors.filter(
    (e) =>
      !(e.keyword === 'type' && (e.params as { type?: unknown }).type === 'null') &&
      !(e.keyword === 'anyOf' && errors.some((o) => o !== e && o.instancePath.startsWith(e.instancePath) && o.keyword !== 'anyOf')),
  );
  const problems = [...new Set((useful.length > 0 ? useful : errors).map(describe))];
  throw new Error(
    `value does not match OpenAI schema ${schemaName}:\n` + problems.map((p) => `  - ${p}`).join('\n') + `\nvalue: ${brief(value, 2000)}`,
  );
}
