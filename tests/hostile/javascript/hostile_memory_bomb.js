// expect: not-correct
// holds on to ever more memory (outside V8's heap too), then prints an answer
const hoard = [];
for (;;) {
    hoard.push(Buffer.alloc(64 << 20, 1));
    hoard.push(new Array(1 << 20).fill(1.5));
}
