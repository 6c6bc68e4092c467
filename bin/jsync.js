#!/usr/bin/env node
// The jsync command line. The TypeScript sources are compiled to dist/ by `npm install`
// (the package's prepare script) or `npm run build`; the command line and its worker thread
// run from one bundled file each (dist/bundle/), which Node loads ~25 ms faster than the
// modules one by one.
let main;
try {
  ({ main } = await import('../dist/bundle/main.js'));
} catch (error) {
  if (error?.code !== 'ERR_MODULE_NOT_FOUND') throw error;
  process.stderr.write('jsync: not built yet: run `npm install` (or `npm run build`) in the jsync directory\n');
  process.exit(1);
}
process.exitCode = await main(process.argv.slice(2));
