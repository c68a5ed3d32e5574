// Replaces (or appends) one generated section of BENCHMARKS.md, between
// <!-- NAME:start --> and <!-- NAME:end -->, so each benchmark rewrites only its own numbers.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';

export function writeSection(name: string, heading: string, body: string, file = 'BENCHMARKS.md'): void {
  const start = `<!-- ${name}:start -->`, end = `<!-- ${name}:end -->`;
  const section = `${start}\n${body.trim()}\n${end}`;
  const old = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n';
  const at = old.indexOf(start), stop = old.indexOf(end);
  const next = at >= 0 && stop > at ? old.slice(0, at) + section + old.slice(stop + end.length) : `${old.trimEnd()}\n\n## ${heading}\n\n${section}\n`;
  writeFileSync(`${file}.tmp`, next);
  renameSync(`${file}.tmp`, file);
}
