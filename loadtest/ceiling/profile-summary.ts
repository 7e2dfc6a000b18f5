/**
 * Where a process's CPU went, from the V8 CPU profiles `BENCH_CPU_PROF_DIR=dir npm run bench:ceiling`
 * leaves (one folder per child, one file per thread): self time by package (or project folder) and
 * the top functions. `tsx loadtest/ceiling/profile-summary.ts dir/worker [top]`. A profile covers the
 * whole life of the process (start-up, warm-up, the measured window, idle), so read shares, not ms.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function bucketOf(url: string, functionName: string): string {
  if (!url) return `(${functionName || 'native'})`;
  const modules = url.lastIndexOf('node_modules/');
  if (modules >= 0) {
    const rest = url.slice(modules + 'node_modules/'.length).split('/');
    return rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : (rest[0] ?? url);
  }
  if (url.startsWith('node:')) return url;
  const match = /\/(api|worker|workflows|activities|db|lib)\//.exec(url);
  return match ? `project ${match[1]}/` : url.replace(/^.*\//, '');
}

const [dir, topArg] = process.argv.slice(2);
if (!dir) throw new Error('usage: profile-summary.ts <dir with .cpuprofile files> [top]');
const top = Number(topArg ?? 25);
for (const file of readdirSync(dir).filter((name) => name.endsWith('.cpuprofile'))) {
  const profile = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const buckets = new Map<string, number>();
  const functions = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, index) => {
    const node = byId.get(id);
    const micros = profile.timeDeltas[index] ?? 0;
    if (!node || node.callFrame.functionName === '(idle)') return;
    total += micros;
    const bucket = bucketOf(node.callFrame.url, node.callFrame.functionName);
    buckets.set(bucket, (buckets.get(bucket) ?? 0) + micros);
    const fn = `${node.callFrame.functionName || '(anonymous)'} ${node.callFrame.url.replace(/^.*node_modules\//, '')}:${node.callFrame.lineNumber + 1}`;
    functions.set(fn, (functions.get(fn) ?? 0) + micros);
  });
  const share = (micros: number) => `${((100 * micros) / total).toFixed(1)}%`;
  console.log(`\n${file}: ${(total / 1000).toFixed(0)} ms busy (idle excluded)`);
  for (const [bucket, micros] of [...buckets].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${share(micros).padStart(6)}  ${bucket}`);
  console.log('  top functions (self time):');
  for (const [fn, micros] of [...functions].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${share(micros).padStart(6)}  ${fn}`);
}
