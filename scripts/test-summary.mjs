// Sums the vitest JSON reports of every project into one closing line: "tests: N passed, N failed".
import { existsSync, readFileSync, readdirSync } from 'node:fs';

const files = ['apps', 'libs']
  .flatMap((d) => readdirSync(d).map((p) => `${d}/${p}/test-results.json`))
  .concat('test/test-results.json')
  .filter((f) => existsSync(f));
let passed = 0;
let failed = 0;
let skipped = 0;
for (const f of files) {
  const r = JSON.parse(readFileSync(f, 'utf8'));
  passed += r.numPassedTests;
  failed += r.numFailedTests;
  skipped += r.numPendingTests + (r.numTodoTests ?? 0);
}
console.log(`\n${files.length} projects with tests`);
console.log(`tests: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
