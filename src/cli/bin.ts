// The `finetorch` command's entry: runs the CLI and exits with its code (Dawn keeps the event loop
// alive while a device exists, so returning from main is not enough).
import { main } from './main.js';

process.exit(await main(process.argv.slice(2)));
