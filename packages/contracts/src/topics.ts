/** Kafka topic names: the original system's contract, kept verbatim. */
export const Topics = {
  userCreateBulk: 'user.create.bulk.randomusers',
  userCreateBulkDlq: 'user.create.bulk.randomusers.dlq',
  userActivityCreate: 'user.activate.create',
  userCreatedSingle: 'user.created.single',
  userUpdatedSingle: 'user.updated.single',
  userDeletedSingle: 'user.deleted.single',
} as const;

export type TopicName = (typeof Topics)[keyof typeof Topics];
