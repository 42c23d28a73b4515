// expect: correct
// reads all of standard input at once; the sums stay below 2^53, exact in a double
const numbers = require("fs").readFileSync(0, "utf8").split(/\s+/).filter(Boolean).map(Number);
let total = 0;
for (let i = 1; i <= numbers[0]; i++) total += numbers[i];
console.log(String(total));
