package org.postern.outbound;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import org.junit.jupiter.api.Test;

/** The wire format DANE's lookups read: the AD bit, RCODE, compressed names, TTLs. */
class DnsMessageTest {

  @Test
  void aQueryAsksForValidationWithTheAdBitAndEdns() {
    byte[] q = DnsMessage.query(0x1234, "_25._tcp.mx.dane.test", DnsMessage.TYPE_TLSA);
    assertEquals(0x12, q[0]);
    assertEquals(0x34, q[1]);
    assertEquals(0x01, q[2]); // RD
    assertEquals(0x20, q[3]); // AD
    assertEquals(1, q[11]); // one additional record: OPT
    assertEquals(12 + 1 + 3 + 1 + 4 + 1 + 2 + 1 + 4 + 1 + 4 + 1 + 4 + 11, q.length);
  }

  @Test
  void readsAnAuthenticatedMxAnswerWithCompressedNames() {
    ByteArrayOutputStream m = new ByteArrayOutputStream();
    byte[] q = DnsMessage.query(7, "dane.test", DnsMessage.TYPE_MX);
    // Header: the query's, as a response (QR, RD, RA, AD) with one answer and no OPT.
    m.write(q, 0, 2);
    m.write(new byte[] {(byte) 0x81, (byte) 0xA0, 0, 1, 0, 1, 0, 0, 0, 0}, 0, 10);
    m.write(q, 12, 11 + 4); // question: dane.test MX IN
    m.write(new byte[] {(byte) 0xC0, 12, 0, 15, 0, 1, 0, 0, 0x0E, 0x10, 0, 7, 0, 10, 2, 'm', 'x', (byte) 0xC0, 12},
        0, 19);
    DnsMessage.Response r = DnsMessage.parse(m.toByteArray());
    assertEquals(7, r.id());
    assertEquals(DnsMessage.RCODE_NOERROR, r.rcode());
    assertTrue(r.authenticated());
    assertFalse(r.truncated());
    assertEquals(1, r.answers().size());
    DnsMessage.Record mx = r.answers().get(0);
    assertEquals("dane.test", mx.name());
    assertEquals(DnsMessage.TYPE_MX, mx.type());
    assertEquals(3600, mx.ttl());
    assertEquals("mx.dane.test", mx.target());
  }

  @Test
  void refusesQueriesAndTruncatedMessages() {
    byte[] q = DnsMessage.query(7, "dane.test", DnsMessage.TYPE_MX);
    assertThrows(IllegalArgumentException.class, () -> DnsMessage.parse(q));
    byte[] cut = java.util.Arrays.copyOf(q, 20);
    cut[2] |= (byte) 0x80;
    assertThrows(IllegalArgumentException.class, () -> DnsMessage.parse(cut));
  }
}
