/** Kafka topic names: the original system's contract, kept verbatim. */
export const Topics = {
  userCreateBulk: 'user.create.bulk.randomusers',
  userCreateBulkDlq: 'user.create.bulk.randomusers.dlq',
  userActivityCreate: 'user.activate.create',
  userCreatedSingle: 'user.created.single',
  userUpdatedSingle: 'user.updated.single',
  userDeletedSingle: 'user.deleted.single',
  /** Ours, not the original system's: dead letters of the user-event topics, apart from the chunks' DLQ. */
  userEventsDlq: 'user.events.dlq',
} as const;

export type TopicName = (typeof Topics)[keyof typeof Topics];

/** Every topic the platform uses, created explicitly at start-up (broker auto-creation is off). */
export function topicSpecs(partitions: number): { topic: TopicName; numPartitions: number }[] {
  return [
    { topic: Topics.userCreateBulk, numPartitions: partitions },
    { topic: Topics.userCreateBulkDlq, numPartitions: 1 },
    { topic: Topics.userActivityCreate, numPartitions: partitions },
    { topic: Topics.userCreatedSingle, numPartitions: 3 },
    { topic: Topics.userUpdatedSingle, numPartitions: 3 },
    { topic: Topics.userDeletedSingle, numPartitions: 3 },
    { topic: Topics.userEventsDlq, numPartitions: 1 },
  ];
}
