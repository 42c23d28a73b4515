// expect: not-correct
// starts processes without end, each of them starting more
const { spawn } = require("child_process");
for (;;) {
    try {
        spawn(process.execPath, [__filename], { stdio: "ignore", detached: true });
    } catch (refused) {
    }
}
