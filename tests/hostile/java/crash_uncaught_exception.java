// expect: not-correct
// indexes past an array's end
public class Main {
    public static void main(String[] args) {
        int[] numbers = new int[1];
        System.out.println(numbers[args.length + 1]);
    }
}
