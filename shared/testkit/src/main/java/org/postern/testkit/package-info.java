/**
 * Test helpers shared by modules: real peers (an SMTP sink in Python's aiosmtpd) on loopback, a
 * throw-away certificate authority ({@link org.postern.testkit.TestCa}), free ports, and where the
 * external tools live. For tests only; nothing here runs in production.
 */
package org.postern.testkit;
