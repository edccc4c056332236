/**
 * {@code postern config import}: reading a Postfix {@code main.cf} (or {@code postconf -n}) or a
 * sendmail {@code .mc} file and its access map, and writing the equivalent {@code postern.conf} and
 * policy files, with every parameter that could not be carried over named and explained. The
 * table in config/MIGRATING.md is the same mapping written for people.
 */
package org.postern.node.migrate;
