package org.postern.outbound;

/** One MX record: lower preference is tried first (RFC 5321 §5.1). */
record Mx(int preference, String host) {}
