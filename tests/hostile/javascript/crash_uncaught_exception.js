// expect: not-correct
// calls a method of undefined
const numbers = undefined;
console.log(numbers.length);
