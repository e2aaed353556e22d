// `prepare` builds dist/ for a clone's `npm install` and for git-dependency installs. During `npm pack`
// and `npm publish` npm runs both `prepack` and `prepare`; prepack builds there, so this skips them.
import { execSync } from 'node:child_process';
const command = process.env.npm_command;
if (command !== 'pack' && command !== 'publish') execSync('npm run build', { stdio: 'inherit' });
