// expect: wrong
// makes the compiler print megabytes of errors
#define A(x) x x x x x x x x x x
#define B(x) A(A(A(A(x))))
B(undeclared_identifier;)
int main() {}
