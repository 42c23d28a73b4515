// expect: timeout
// never finishes
let spin = 0;
for (;;) spin++;
