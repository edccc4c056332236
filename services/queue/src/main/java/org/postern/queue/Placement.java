package org.postern.queue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;

/**
 * Where a message's replica goes: rendezvous (highest random weight) hashing of the queue id over
 * the live queue nodes. Every node computes the same order from the same membership, and when a
 * node leaves only the messages it ranked first move, to their second choice.
 */
final class Placement {

  private Placement() {}

  /** The candidates, best first, for {@code queueId}; {@code exclude} (the owner) is left out. */
  static List<String> ranked(String queueId, Collection<String> nodes, String exclude) {
    return nodes.stream().filter(n -> !n.equals(exclude))
        .sorted(Comparator.comparingLong((String n) -> weight(queueId, n)).reversed().thenComparing(n -> n))
        .toList();
  }

  static long weight(String queueId, String node) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update(queueId.getBytes(StandardCharsets.US_ASCII));
      sha.update((byte) 0);
      sha.update(node.getBytes(StandardCharsets.US_ASCII));
      return ByteBuffer.wrap(sha.digest()).getLong();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }
}
