#!/usr/bin/env node
// The jsync command line. The TypeScript sources are compiled to dist/ by `npm install`
// (the package's prepare script) or `npm run build`.
let main;
try {
  ({ main } = await import('../dist/ts/cli/main.js'));
} catch (error) {
  if (error?.code !== 'ERR_MODULE_NOT_FOUND') throw error;
  process.stderr.write('jsync: not built yet: run `npm install` (or `npm run build`) in the jsync directory\n');
  process.exit(1);
}
process.exitCode = await main(process.argv.slice(2));
