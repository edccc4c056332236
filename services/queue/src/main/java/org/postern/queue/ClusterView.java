package org.postern.queue;

import java.util.Set;

/**
 * What the queue needs to know of the cluster, as Hazelcast's membership reports it (the node
 * launcher adapts Hazelcast to this; the queue itself does not depend on it). A standalone node has
 * none, and keeps no replicas.
 */
public interface ClusterView {

  /** This node's stable id, kept in {@code node.data_dir}: the same across restarts. */
  String nodeId();

  /** This node's member id in the cluster now; a new one at each start. */
  String memberId();

  /** The member ids of the cluster's live members now, this node's included. */
  Set<String> liveMembers();
}
