// expect: wrong
// throws out of main (std::terminate, SIGABRT)
#include <stdexcept>
int main() { throw std::runtime_error("no"); }
