from django.urls import path

from workflows import inbox_views as views

urlpatterns = [
    path("queue/", views.inbox_list, {"which": "queue"}, name="inbox_queue"),
    path("mine/", views.inbox_list, {"which": "mine"}, name="inbox_mine"),
    path("returned/", views.inbox_list, {"which": "returned"}, name="inbox_returned"),
    path("done/", views.inbox_list, {"which": "done"}, name="inbox_done"),
    path("counts/", views.inbox_counts, name="inbox_counts"),
    path("claim-next/", views.tasks_claim_next, name="tasks_claim_next"),
    path("tasks/<int:pk>/claim/", views.task_claim, name="task_claim"),
    path("tasks/<int:pk>/release/", views.task_release, name="task_release"),
    path("tasks/<int:pk>/reassign/", views.task_reassign, name="task_reassign"),
    path("books/<int:pk>/approve/", views.book_approve, name="book_approve"),
]
