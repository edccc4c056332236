package org.postern.node.cluster;

import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.core.HazelcastInstance;
import java.util.Set;
import java.util.logging.Logger;
import java.util.stream.Collectors;

/**
 * Logs the cluster's members when one joins or leaves, so an operator sees in each node's log what
 * that node believes the cluster is. Hazelcast calls it on its own event threads, never on an
 * event loop.
 */
final class MembershipLog implements MembershipListener {

  private static final Logger LOG = Logger.getLogger("postern.cluster");

  private final Member self;

  private MembershipLog(Member self) {
    this.self = self;
  }

  /** Logs the members seen now and every later change. */
  static void attach(HazelcastInstance hz) {
    Member self = hz.getCluster().getLocalMember();
    MembershipLog log = new MembershipLog(self);
    hz.getCluster().addMembershipListener(log);
    LOG.info("cluster: joined as " + describe(self) + "; members " + log.list(hz.getCluster().getMembers()));
  }

  @Override
  public void memberAdded(MembershipEvent event) {
    LOG.info("cluster: member joined: " + describe(event.getMember()) + "; members " + list(event.getMembers()));
  }

  @Override
  public void memberRemoved(MembershipEvent event) {
    LOG.warning("cluster: member left: " + describe(event.getMember()) + "; members " + list(event.getMembers()));
  }

  private String list(Set<Member> members) {
    return members.size() + " [" + members.stream()
        .map(m -> describe(m) + (m.getUuid().equals(self.getUuid()) ? " (this node)" : ""))
        .collect(Collectors.joining(", ")) + "]";
  }

  private static String describe(Member m) {
    return m.getAddress().getHost() + ":" + m.getAddress().getPort();
  }
}
