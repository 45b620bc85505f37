/*
 * Intrusive circular doubly-linked lists. A struct list_node embedded in an
 * object links it into a list whose head is another list_node.
 */
#ifndef HV_LIST_H
#define HV_LIST_H

#include <hv/types.h>

struct list_node {
	struct list_node *next, *prev;
};

#define LIST_HEAD_INIT(name)                                                                       \
	{                                                                                          \
		&(name), &(name)                                                                   \
	}

static inline void list_init(struct list_node *head)
{
	head->next = head;
	head->prev = head;
}

static inline bool list_empty(const struct list_node *head)
{
	return head->next == head;
}

static inline void list_insert_between(struct list_node *n, struct list_node *prev,
				       struct list_node *next)
{
	n->prev = prev;
	n->next = next;
	prev->next = n;
	next->prev = n;
}

/* Insert n right after head (stack order). */
static inline void list_add(struct list_node *n, struct list_node *head)
{
	list_insert_between(n, head, head->next);
}

/* Insert n right before head (queue order). */
static inline void list_add_tail(struct list_node *n, struct list_node *head)
{
	list_insert_between(n, head->prev, head);
}

static inline void list_del(struct list_node *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
	n->next = n;
	n->prev = n;
}

static inline bool list_is_linked(const struct list_node *n)
{
	return n->next != n;
}

#define list_entry(node, type, member) container_of(node, type, member)

#define list_for_each(pos, head)       for ((pos) = (head)->next; (pos) != (head); (pos) = (pos)->next)

#define list_for_each_safe(pos, tmp, head)                                                         \
	for ((pos) = (head)->next, (tmp) = (pos)->next; (pos) != (head);                           \
	     (pos) = (tmp), (tmp) = (pos)->next)

#define list_for_each_entry(pos, head, member)                                                     \
	for ((pos) = list_entry((head)->next, __typeof__(*(pos)), member);                         \
	     &(pos)->member != (head);                                                             \
	     (pos) = list_entry((pos)->member.next, __typeof__(*(pos)), member))

#define list_for_each_entry_safe(pos, tmp, head, member)                                           \
	for ((pos) = list_entry((head)->next, __typeof__(*(pos)), member),                         \
	    (tmp) = list_entry((pos)->member.next, __typeof__(*(pos)), member);                    \
	     &(pos)->member != (head);                                                             \
	     (pos) = (tmp), (tmp) = list_entry((tmp)->member.next, __typeof__(*(pos)), member))

#endif /* HV_LIST_H */
