// expect: wrong
// an unclosed parenthesis: node --check refuses it
console.log((1 + 2;
