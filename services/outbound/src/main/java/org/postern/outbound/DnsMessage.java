package org.postern.outbound;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The few DNS wire-format pieces DANE needs and Vert.x's DNS client hides: a query with the AD bit
 * set (RFC 6840 §5.7, so a validating resolver says whether it validated), and a response's
 * header flags, RCODE and answer records (MX, CNAME, TLSA) with their TTLs. Pure: no sockets.
 */
final class DnsMessage {

  static final int TYPE_A = 1;
  static final int TYPE_CNAME = 5;
  static final int TYPE_SOA = 6;
  static final int TYPE_MX = 15;
  static final int TYPE_AAAA = 28;
  static final int TYPE_OPT = 41;
  static final int TYPE_TLSA = 52;

  static final int RCODE_NOERROR = 0;
  static final int RCODE_SERVFAIL = 2;
  static final int RCODE_NXDOMAIN = 3;

  /** EDNS(0) payload we accept: RFC 9715's advice, so answers do not fragment. */
  static final int EDNS_PAYLOAD = 1232;

  private static final int FLAG_QR = 0x8000;
  private static final int FLAG_TC = 0x0200;
  private static final int FLAG_RD = 0x0100;
  private static final int FLAG_AD = 0x0020;

  private DnsMessage() {}

  /** One resource record of the answer or authority section; {@code rdata} as a copy of its bytes. */
  record Record(String name, int type, long ttl, byte[] rdata, String target) {}

  /**
   * A parsed response.
   *
   * @param authenticated the AD bit: the resolver validated every record of the answer with DNSSEC
   * @param truncated the TC bit: the answer did not fit
   */
  record Response(int id, int rcode, boolean authenticated, boolean truncated, List<Record> answers,
      List<Record> authority) {}

  /** A recursive query for ({@code name}, {@code type}) with AD set and an EDNS(0) OPT record. */
  static byte[] query(int id, String name, int type) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(64);
    short16(out, id);
    short16(out, FLAG_RD | FLAG_AD);
    short16(out, 1); // QDCOUNT
    short16(out, 0);
    short16(out, 0);
    short16(out, 1); // ARCOUNT: the OPT record
    writeName(out, name);
    short16(out, type);
    short16(out, 1); // IN
    out.write(0); // OPT: root name
    short16(out, TYPE_OPT);
    short16(out, EDNS_PAYLOAD);
    short16(out, 0); // extended RCODE, version 0
    short16(out, 0); // no DO: we want the resolver's verdict, not the signatures
    short16(out, 0);
    return out.toByteArray();
  }

  /** Parses a response; fails with IllegalArgumentException on anything malformed. */
  static Response parse(byte[] m) {
    try {
      Reader r = new Reader(m);
      int id = r.u16();
      int flags = r.u16();
      if ((flags & FLAG_QR) == 0) {
        throw new IllegalArgumentException("not a response");
      }
      int qd = r.u16();
      int an = r.u16();
      int ns = r.u16();
      r.u16();
      for (int i = 0; i < qd; i++) {
        r.name();
        r.pos += 4;
      }
      List<Record> answers = records(r, an);
      List<Record> authority = records(r, ns);
      return new Response(id, flags & 0xF, (flags & FLAG_AD) != 0, (flags & FLAG_TC) != 0, answers, authority);
    } catch (IndexOutOfBoundsException e) {
      throw new IllegalArgumentException("truncated DNS message", e);
    }
  }

  private static List<Record> records(Reader r, int count) {
    List<Record> out = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      String name = r.name();
      int type = r.u16();
      r.u16(); // class
      long ttl = r.u32();
      int len = r.u16();
      int start = r.pos;
      if (start + len > r.m.length) {
        throw new IllegalArgumentException("record data past the end of the message");
      }
      byte[] rdata = java.util.Arrays.copyOfRange(r.m, start, start + len);
      String target = null;
      // Names inside MX and CNAME data may point back into the message (RFC 1035 §4.1.4).
      if (type == TYPE_CNAME) {
        target = r.name();
      } else if (type == TYPE_MX) {
        r.pos += 2;
        target = r.name();
      }
      r.pos = start + len;
      out.add(new Record(name, type, ttl, rdata, target));
    }
    return out;
  }

  private static void writeName(ByteArrayOutputStream out, String name) {
    String n = name.endsWith(".") ? name.substring(0, name.length() - 1) : name;
    if (!n.isEmpty()) {
      for (String label : n.split("\\.", -1)) {
        byte[] b = label.getBytes(StandardCharsets.US_ASCII);
        if (b.length == 0 || b.length > 63) {
          throw new IllegalArgumentException("bad DNS name: " + name);
        }
        out.write(b.length);
        out.write(b, 0, b.length);
      }
    }
    out.write(0);
  }

  private static void short16(ByteArrayOutputStream out, int v) {
    out.write(v >> 8 & 0xFF);
    out.write(v & 0xFF);
  }

  private static final class Reader {
    final byte[] m;
    int pos;

    Reader(byte[] m) {
      this.m = m;
    }

    int u8() {
      return m[pos++] & 0xFF;
    }

    int u16() {
      return u8() << 8 | u8();
    }

    long u32() {
      return (long) u16() << 16 | u16();
    }

    /** A name at {@code pos}, following compression pointers; leaves {@code pos} after it. */
    String name() {
      StringBuilder sb = new StringBuilder();
      int p = pos;
      int after = -1;
      int jumps = 0;
      while (true) {
        int len = m[p] & 0xFF;
        if ((len & 0xC0) == 0xC0) {
          if (++jumps > 64) {
            throw new IllegalArgumentException("DNS name compression loop");
          }
          if (after < 0) {
            after = p + 2;
          }
          p = (len & 0x3F) << 8 | m[p + 1] & 0xFF;
          continue;
        }
        if (len > 63) {
          throw new IllegalArgumentException("bad label length " + len);
        }
        p++;
        if (len == 0) {
          break;
        }
        if (sb.length() > 0) {
          sb.append('.');
        }
        sb.append(new String(m, p, len, StandardCharsets.US_ASCII));
        p += len;
      }
      pos = after >= 0 ? after : p;
      return sb.toString().toLowerCase(Locale.ROOT);
    }
  }
}
