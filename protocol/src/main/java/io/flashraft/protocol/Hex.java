package io.flashraft.protocol;

/** Lower-case hexadecimal, for digests in logs, reports and test vectors. */
public final class Hex {
    private static final char[] DIGITS = "0123456789abcdef".toCharArray();

    private Hex() {
    }

    /** The bytes as lower-case hex, two digits a byte. */
    public static String encode(byte[] bytes) {
        char[] out = new char[bytes.length * 2];
        for (int i = 0; i < bytes.length; i++) {
            out[2 * i] = DIGITS[(bytes[i] >> 4) & 0xF];
            out[2 * i + 1] = DIGITS[bytes[i] & 0xF];
        }
        return new String(out);
    }

    /**
     * The bytes that a hex string spells.
     *
     * @throws IllegalArgumentException on an odd length or a non-hex digit
     */
    public static byte[] decode(String hex) {
        if (hex.length() % 2 != 0) {
            throw new IllegalArgumentException("hex string of odd length " + hex.length());
        }
        byte[] out = new byte[hex.length() / 2];
        for (int i = 0; i < out.length; i++) {
            out[i] = (byte) ((digit(hex, 2 * i) << 4) | digit(hex, 2 * i + 1));
        }
        return out;
    }

    private static int digit(String hex, int index) {
        int d = Character.digit(hex.charAt(index), 16);
        if (d < 0) {
            throw new IllegalArgumentException("not a hex digit at " + index + ": " + hex.charAt(index));
        }
        return d;
    }
}
