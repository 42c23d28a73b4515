// expect: correct
// tries to read what belongs to the host or to root; prints the right sum only if every read is refused
const fs = require("fs");
const numbers = fs.readFileSync(0, "utf8").split(/\s+/).filter(Boolean).map(Number);
let total = 0;
for (let i = 1; i <= numbers[0]; i++) total += numbers[i];
let breaches = 0;
for (const path of ["/etc/shadow", "/root/.bashrc", "/var/run/docker.sock", "/proc/kcore"]) {
    try {
        fs.readFileSync(path);
        console.error(`BREACH: read ${path}`);
        breaches++;
    } catch (refused) {
    }
}
try {
    fs.writeFileSync("/etc/rest-em-breach", "x");
    breaches++;
} catch (refused) {
}
console.log(String(total + breaches));
