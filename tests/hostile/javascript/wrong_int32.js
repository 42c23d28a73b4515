// expect: wrong
// sums with `| 0`, 32-bit arithmetic: the large test overflows
const numbers = require("fs").readFileSync(0, "utf8").split(/\s+/).filter(Boolean).map(Number);
let total = 0;
for (let i = 1; i <= numbers[0]; i++) total = (total + numbers[i]) | 0;
console.log(String(total));
