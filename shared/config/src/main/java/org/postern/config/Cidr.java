package org.postern.config;

import java.util.Arrays;

/**
 * An IPv4 or IPv6 network such as {@code 127.0.0.0/8} or {@code ::1/128}. Parsing never consults
 * DNS: only literal addresses are accepted, so it is safe on an event loop.
 */
public record Cidr(byte[] network, int prefix) {

  public Cidr {
    network = network.clone();
    if (prefix < 0 || prefix > network.length * 8) {
      throw new IllegalArgumentException("prefix out of range");
    }
  }

  /** Parses {@code address/prefix}; a bare address is a single host. */
  public static Cidr parse(String text) {
    String s = text.strip();
    int slash = s.indexOf('/');
    String addr = slash < 0 ? s : s.substring(0, slash);
    byte[] bytes = IpLiterals.parse(addr);
    if (bytes == null) {
      throw new IllegalArgumentException("expected an IP network such as 192.0.2.0/24 or 2001:db8::/32, got '" + text + "'");
    }
    int prefix = bytes.length * 8;
    if (slash >= 0) {
      try {
        prefix = Integer.parseInt(s.substring(slash + 1));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("bad prefix length in '" + text + "'");
      }
      if (prefix < 0 || prefix > bytes.length * 8) {
        throw new IllegalArgumentException("prefix length out of range in '" + text + "'");
      }
    }
    return new Cidr(mask(bytes, prefix), prefix);
  }

  /** True when the literal address {@code ip} lies inside this network. */
  public boolean contains(String ip) {
    byte[] b = IpLiterals.parse(ip);
    if (b == null) {
      return false;
    }
    if (b.length == 16 && network.length == 4 && IpLiterals.isV4Mapped(b)) {
      b = Arrays.copyOfRange(b, 12, 16);
    }
    return b.length == network.length && Arrays.equals(mask(b, prefix), network);
  }

  /** The network of {@code prefix} bits that holds {@code address} (4 or 16 octets). */
  public static Cidr covering(byte[] address, int prefix) {
    return new Cidr(mask(address, prefix), prefix);
  }

  private static byte[] mask(byte[] addr, int prefix) {
    byte[] out = addr.clone();
    for (int i = 0; i < out.length; i++) {
      int bits = Math.max(0, Math.min(8, prefix - i * 8));
      out[i] = (byte) (out[i] & (0xff << (8 - bits)));
    }
    return out;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Cidr c && c.prefix == prefix && Arrays.equals(c.network, network);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(network) * 31 + prefix;
  }

  @Override
  public String toString() {
    return IpLiterals.format(network) + "/" + prefix;
  }
}
