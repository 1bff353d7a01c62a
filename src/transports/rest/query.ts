import { parseNameList } from './multipart-upload.js';

type Query = Record<string, string | string[] | undefined>;

/** Query values are strings; the router wants numbers. A non-number stays NaN so validation names it. */
export const numberParam = (q: Query, name: string) => {
  const v = last(q[name]);
  return v === undefined || v === '' ? undefined : Number(v);
};

export const stringParam = (q: Query, name: string) => last(q[name]) || undefined;

/** `?target_model_names=a,b`, repeated, or `target_model_names[]=a`. */
export function nameListParam(q: Query, name: string): string[] | undefined {
  const raw = [q[name], q[`${name}[]`]].flat().filter((v): v is string => typeof v === 'string');
  const names = raw.flatMap(parseNameList).filter(Boolean);
  return names.length ? names : undefined;
}

function last(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v.at(-1) : v;
}
