// expect: wrong
// makes the compiler read an endless file: its memory limit (or the compile time limit) must stop it
#include "/dev/zero"
int main() {}
