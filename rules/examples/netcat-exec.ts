// Example user rule: netcat started with -e or -c, which hands a shell to the other end of the
// connection (a classic reverse shell). Build: npm run build:examples.
import { alert, fieldId, getStr } from "../lib/kestrel";

// Resolved once, when the module is loaded (top-level code runs in _initialize).
const PROCESS_NAME = fieldId("process.name");
const PROCESS_ARGS = fieldId("process.args");

export function match(event: i32): i32 {
  const name = getStr(PROCESS_NAME);
  if (name === null) return 0;
  if (name != "nc" && name != "ncat" && name != "netcat") return 0;
  const args = getStr(PROCESS_ARGS);
  if (args === null) return 0;
  const words = args.split(" ");
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    if (w == "-e" || w == "-c") {
      alert(name + " " + w + ": possible reverse shell");
      return 1;
    }
  }
  return 0;
}
