// expect: not-correct
// prints forever, synchronously
const fs = require("fs");
const line = Buffer.alloc(1 << 16, "x");
for (;;) fs.writeSync(1, line);
