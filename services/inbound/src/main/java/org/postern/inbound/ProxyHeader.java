package org.postern.inbound;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import org.postern.config.IpLiterals;
import org.postern.config.Listener;

/**
 * HAProxy's PROXY protocol header (versions 1 and 2), which a load balancer sends before anything
 * else to name the client it accepted. Pure: it reads the octets received so far and says whether
 * they hold a whole header, need more, or can never be one. No sockets, no DNS (addresses are
 * literals, turned into text without a lookup).
 *
 * <p>Only the version the listener names is accepted, and only from inbound.proxy_networks (the
 * caller checks that): the header is a claim about who the client is, believed from nobody else.
 */
final class ProxyHeader {

  /** Version 1's longest line, CRLF included ("PROXY TCP6" with two full IPv6 addresses and ports). */
  static final int V1_MAX = 107;
  /**
   * Version 2's fixed part plus the longest address block and TLVs we take. HAProxy sends a few
   * hundred octets at most (an SSL TLV with a version, cipher and CN); more is refused, so a peer
   * cannot make us buffer 64 KiB per connection before it has said anything else.
   */
  static final int V2_MAX = 16 + 2048;
  static final byte[] V2_SIGNATURE = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};
  private static final byte[] V1_SIGNATURE = "PROXY ".getBytes(StandardCharsets.US_ASCII);
  private static final int PP2_TYPE_SSL = 0x20;
  private static final int PP2_SUBTYPE_SSL_VERSION = 0x21;
  private static final int PP2_SUBTYPE_SSL_CN = 0x22;
  private static final int PP2_SUBTYPE_SSL_CIPHER = 0x23;
  private static final int PP2_CLIENT_SSL = 0x01;
  private static final int PP2_CLIENT_CERT_CONN = 0x02;

  private ProxyHeader() {}

  /** What the octets received so far amount to. */
  sealed interface Result {}

  /** Not a whole header yet: wait for more (within inbound.proxy_timeout). */
  record Incomplete() implements Result {}

  /** Never a valid header, whatever follows: the connection is dropped, and the log says why. */
  record Invalid(String reason) implements Result {}

  /**
   * A whole header of {@code length} octets; what follows it is the client's SMTP. {@code source}
   * is null when the header names no client (v1 UNKNOWN, v2 LOCAL such as a health check, or an
   * address family other than IPv4/IPv6): the connection's own endpoints stand, as HAProxy does.
   */
  record Parsed(int length, String command, Endpoint source, Endpoint destination, Ssl ssl) implements Result {}

  /** An address (as text, no brackets) and port. */
  record Endpoint(String ip, int port) {}

  /**
   * PP2_TYPE_SSL: how the client reached the load balancer. {@code verify} is 0 when a client
   * certificate verified; version, cipher and cn are null when not sent.
   */
  record Ssl(boolean tls, boolean clientCert, long verify, String version, String cipher, String cn) {
    /** For the log line: {@code TLSv1.3 TLS_AES_128_GCM_SHA256 cert=verified cn=...}. */
    String describe() {
      if (!tls) {
        return "no TLS";
      }
      return (version == null ? "TLS" : version) + (cipher == null ? "" : " " + cipher)
          + " cert=" + (!clientCert ? "none" : verify == 0 ? "verified" : "unverified")
          + (cn == null ? "" : " cn=" + cn);
    }
  }

  /** Reads the first {@code length} octets of {@code in} as the header {@code version} names. */
  static Result parse(byte[] in, int length, Listener.Proxy version) {
    return switch (version) {
      case V1 -> v1(in, length);
      case V2 -> v2(in, length);
      case NONE -> throw new IllegalArgumentException("the listener takes no PROXY header");
    };
  }

  private static Result v1(byte[] in, int length) {
    if (!startsWith(in, length, V1_SIGNATURE)) {
      return startsWith(in, length, V2_SIGNATURE) ? new Invalid("a PROXY v2 header on a proxy=v1 listener")
          : new Invalid("no PROXY v1 header");
    }
    int end = -1;
    for (int i = 0; i + 1 < Math.min(length, V1_MAX); i++) {
      if (in[i] == '\r' && in[i + 1] == '\n') {
        end = i;
        break;
      }
    }
    if (end < 0) {
      return length >= V1_MAX ? new Invalid("PROXY v1 header without CRLF in " + V1_MAX + " octets")
          : new Incomplete();
    }
    String line = new String(in, 0, end, StandardCharsets.US_ASCII);
    String[] f = line.split(" ", -1);
    if (f[1].equals("UNKNOWN")) {
      // The spec lets the rest of the line be anything; the receiver uses the real endpoints.
      return new Parsed(end + 2, "UNKNOWN", null, null, null);
    }
    if (f.length != 6 || !(f[1].equals("TCP4") || f[1].equals("TCP6"))) {
      return new Invalid("malformed PROXY v1 header '" + printable(line) + "'");
    }
    int octets = f[1].equals("TCP4") ? 4 : 16;
    String src = address(f[2], octets);
    String dst = address(f[3], octets);
    int sport = port(f[4]);
    int dport = port(f[5]);
    if (src == null || dst == null || sport < 0 || dport < 0) {
      return new Invalid("malformed PROXY v1 header '" + printable(line) + "'");
    }
    return new Parsed(end + 2, f[1], new Endpoint(src, sport), new Endpoint(dst, dport), null);
  }

  private static Result v2(byte[] in, int length) {
    if (!startsWith(in, length, V2_SIGNATURE)) {
      return startsWith(in, length, V1_SIGNATURE) ? new Invalid("a PROXY v1 header on a proxy=v2 listener")
          : new Invalid("no PROXY v2 header");
    }
    if (length < 16) {
      return new Incomplete();
    }
    int versionCommand = in[12] & 0xff;
    if (versionCommand >> 4 != 2) {
      return new Invalid("PROXY v2 header of version " + (versionCommand >> 4));
    }
    int command = versionCommand & 0x0f;
    if (command > 1) {
      return new Invalid("PROXY v2 header with unknown command " + command);
    }
    int family = (in[13] & 0xff) >> 4;
    int transport = in[13] & 0x0f;
    int total = 16 + u16(in, 14);
    if (total > V2_MAX) {
      return new Invalid("PROXY v2 header of " + total + " octets (at most " + V2_MAX + ")");
    }
    if (length < total) {
      return new Incomplete();
    }
    if (command == 0) {
      // LOCAL: the balancer's own connection (a health check). The address block means nothing.
      return new Parsed(total, "LOCAL", null, null, null);
    }
    int addresses = switch (family) {
      case 1 -> 12;
      case 2 -> 36;
      case 3 -> 216;
      default -> 0;
    };
    if (16 + addresses > total) {
      return new Invalid("PROXY v2 address block of " + (total - 16) + " octets, too short for family " + family);
    }
    Ssl ssl;
    try {
      ssl = tlvs(in, 16 + addresses, total);
    } catch (IllegalArgumentException e) {
      return new Invalid(e.getMessage());
    }
    if (family != 1 && family != 2) {
      // UNSPEC or a UNIX socket: no client address to take; the connection's own stands.
      return new Parsed(total, family == 0 ? "UNSPEC" : "UNIX", null, null, ssl);
    }
    if (transport != 1) {
      return new Invalid("PROXY v2 header for transport " + transport + " (only TCP carries SMTP)");
    }
    int octets = family == 1 ? 4 : 16;
    Endpoint src = new Endpoint(text(in, 16, octets), u16(in, 16 + 2 * octets));
    Endpoint dst = new Endpoint(text(in, 16 + octets, octets), u16(in, 18 + 2 * octets));
    return new Parsed(total, family == 1 ? "TCP4" : "TCP6", src, dst, ssl);
  }

  /** The TLVs between {@code from} and {@code to}; only PP2_TYPE_SSL is read, the rest skipped. */
  private static Ssl tlvs(byte[] in, int from, int to) {
    Ssl ssl = null;
    int i = from;
    while (i < to) {
      if (i + 3 > to) {
        throw new IllegalArgumentException("truncated PROXY v2 TLV");
      }
      int type = in[i] & 0xff;
      int len = u16(in, i + 1);
      int value = i + 3;
      if (value + len > to) {
        throw new IllegalArgumentException("PROXY v2 TLV of type 0x" + Integer.toHexString(type) + " overruns the header");
      }
      if (type == PP2_TYPE_SSL) {
        ssl = ssl(in, value, value + len);
      }
      i = value + len;
    }
    return ssl;
  }

  private static Ssl ssl(byte[] in, int from, int to) {
    if (to - from < 5) {
      throw new IllegalArgumentException("PROXY v2 SSL TLV of " + (to - from) + " octets");
    }
    int client = in[from] & 0xff;
    long verify = ((long) u16(in, from + 1) << 16) | u16(in, from + 3);
    String version = null;
    String cipher = null;
    String cn = null;
    int i = from + 5;
    while (i < to) {
      if (i + 3 > to || i + 3 + u16(in, i + 1) > to) {
        throw new IllegalArgumentException("truncated sub-TLV in the PROXY v2 SSL TLV");
      }
      int type = in[i] & 0xff;
      int len = u16(in, i + 1);
      String v = printable(new String(in, i + 3, len, StandardCharsets.UTF_8));
      switch (type) {
        case PP2_SUBTYPE_SSL_VERSION -> version = v;
        case PP2_SUBTYPE_SSL_CIPHER -> cipher = v;
        case PP2_SUBTYPE_SSL_CN -> cn = v;
        default -> { }
      }
      i += 3 + len;
    }
    return new Ssl((client & PP2_CLIENT_SSL) != 0, (client & PP2_CLIENT_CERT_CONN) != 0, verify, version, cipher, cn);
  }

  private static boolean startsWith(byte[] in, int length, byte[] signature) {
    for (int i = 0; i < Math.min(length, signature.length); i++) {
      if (in[i] != signature[i]) {
        return false;
      }
    }
    return true;
  }

  /** A v1 address of the family's size as canonical text, or null when it is not one. */
  private static String address(String s, int octets) {
    if (s.isEmpty() || s.startsWith("[")) {
      return null;
    }
    byte[] b = IpLiterals.parse(s);
    return b == null || b.length != octets ? null : text(b, 0, octets);
  }

  /**
   * An IPv4 or IPv6 literal in the text form the socket's own remote address has, or null when
   * {@code s} is not one (XCLIENT's ADDR, like the header's addresses, must compare equal).
   */
  static String literal(String s) {
    byte[] b = IpLiterals.parse(s);
    return b == null ? null : text(b, 0, b.length);
  }

  /** A v1 port: 1 to 5 digits, at most 65535; -1 when not. */
  private static int port(String s) {
    if (s.isEmpty() || s.length() > 5 || !s.chars().allMatch(c -> c >= '0' && c <= '9')) {
      return -1;
    }
    int p = Integer.parseInt(s);
    return p > 65535 ? -1 : p;
  }

  /** An address in the same text form the socket's own remote address has (no lookup: a literal). */
  private static String text(byte[] in, int from, int octets) {
    byte[] b = java.util.Arrays.copyOfRange(in, from, from + octets);
    try {
      return InetAddress.getByAddress(b).getHostAddress();
    } catch (UnknownHostException e) {
      throw new IllegalStateException(e); // unreachable: 4 or 16 octets
    }
  }

  private static int u16(byte[] in, int at) {
    return ((in[at] & 0xff) << 8) | (in[at + 1] & 0xff);
  }

  /** For a log line: control characters and non-ASCII as '?', at most 120 characters. */
  private static String printable(String s) {
    String t = s.replaceAll("[^\\x20-\\x7e]", "?");
    return t.length() > 120 ? t.substring(0, 120) + "..." : t;
  }
}
