package org.postern.outbound;

import java.util.HexFormat;

/**
 * One TLSA record (RFC 6698 §2.1): certificate usage, selector, matching type and the association
 * data. For SMTP only DANE-TA(2) and DANE-EE(3) are usable: the PKIX usages 0 and 1 would need a
 * list of public CAs that SMTP does not agree on, so RFC 7672 §3.1.3 treats them as unusable.
 */
record Tlsa(int usage, int selector, int matching, byte[] data) {

  static final int DANE_TA = 2;
  static final int DANE_EE = 3;

  /** Parses RDATA; null when it is too short to be a TLSA record at all. */
  static Tlsa parse(byte[] rdata) {
    if (rdata.length < 4) {
      return null;
    }
    return new Tlsa(rdata[0] & 0xFF, rdata[1] & 0xFF, rdata[2] & 0xFF,
        java.util.Arrays.copyOfRange(rdata, 3, rdata.length));
  }

  /**
   * Whether a DANE SMTP client can use it (RFC 7672 §3.1.3, RFC 7671 §4): usage 2 or 3, selector
   * 0 (whole certificate) or 1 (public key), matching type 0 (exact), 1 (SHA-256) or 2 (SHA-512)
   * with data of that digest's length.
   */
  boolean usable() {
    if (usage != DANE_TA && usage != DANE_EE || selector > 1) {
      return false;
    }
    return switch (matching) {
      case 0 -> data.length > 0;
      case 1 -> data.length == 32;
      case 2 -> data.length == 64;
      default -> false;
    };
  }

  /** Postfix's way of naming a record in its logs: {@code 3 1 1 0A1B2C3D...}, the data cut short. */
  String describe() {
    String hex = HexFormat.of().withUpperCase().formatHex(data);
    return usage + " " + selector + " " + matching + " " + (hex.length() > 16 ? hex.substring(0, 16) + "..." : hex);
  }
}
