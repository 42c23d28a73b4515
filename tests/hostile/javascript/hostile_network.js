// expect: correct
// tries to reach the network (a public address, the Docker host, a name lookup); prints the right sum
// only if every attempt fails
const fs = require("fs");
const net = require("net");
const dns = require("dns");
const numbers = fs.readFileSync(0, "utf8").split(/\s+/).filter(Boolean).map(Number);
let total = 0;
for (let i = 1; i <= numbers[0]; i++) total += numbers[i];

function connects(host) {
    return new Promise((resolve) => {
        const socket = net.connect({ host, port: 80, timeout: 500 });
        socket.on("connect", () => { socket.destroy(); resolve(1); });
        socket.on("error", () => resolve(0));
        socket.on("timeout", () => { socket.destroy(); resolve(0); });
    });
}

function resolves(name) {
    return new Promise((resolve) => dns.lookup(name, (error) => resolve(error ? 0 : 1)));
}

Promise.all([connects("1.1.1.1"), connects("172.17.0.1"), resolves("deb.debian.org")]).then((found) => {
    console.log(String(total + found.reduce((a, b) => a + b, 0)));
});
