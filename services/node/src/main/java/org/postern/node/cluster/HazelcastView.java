package org.postern.node.cluster;

import com.hazelcast.cluster.Member;
import com.hazelcast.core.HazelcastInstance;
import java.util.Set;
import java.util.stream.Collectors;
import org.postern.queue.ClusterView;

/**
 * The queue's view of the cluster, read from Hazelcast's own member list at each call: the queue
 * learns of a member's failure exactly when Hazelcast's failure detector removes it.
 */
public final class HazelcastView implements ClusterView {

  private final String nodeId;
  private final HazelcastInstance hazelcast;

  public HazelcastView(String nodeId, HazelcastInstance hazelcast) {
    this.nodeId = nodeId;
    this.hazelcast = hazelcast;
  }

  @Override
  public String nodeId() {
    return nodeId;
  }

  @Override
  public String memberId() {
    return hazelcast.getCluster().getLocalMember().getUuid().toString();
  }

  @Override
  public Set<String> liveMembers() {
    return hazelcast.getCluster().getMembers().stream().map(Member::getUuid).map(Object::toString)
        .collect(Collectors.toUnmodifiableSet());
  }
}
