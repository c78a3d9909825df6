from django.urls import path

from psynote.accounts import account_views, views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/code/", views.login_code, name="login_code"),
    path("users/", views.user_list, name="user_list"),
    path("users/new/", views.user_new, name="user_new"),
    path("users/<int:user_id>/", views.user_edit, name="user_edit"),
    path("users/<int:user_id>/sign-out/", views.user_sign_out, name="user_sign_out"),
    path("users/<int:user_id>/two-factor/reset/", views.user_mfa_reset, name="user_mfa_reset"),
    path("practice/security/", views.practice_security, name="practice_security"),
    path("practice/details/", views.practice_details, name="practice_details"),
    path("account/", account_views.account, name="account"),
    path("account/password/", account_views.password_change, name="password_change"),
    path("account/password/choose/", account_views.password_choose, name="password_choose"),
    path("account/tokens/", account_views.token_new, name="token_new"),
    path("account/tokens/<int:token_id>/revoke/", account_views.token_revoke,
         name="token_revoke"),
    path("account/sessions/<int:signin_id>/end/", account_views.session_end,
         name="session_end"),
    path("account/sessions/end-others/", account_views.sessions_end_others,
         name="sessions_end_others"),
    path("account/two-factor/", account_views.mfa_setup, name="mfa_setup"),
    path("account/two-factor/recovery-codes/", account_views.mfa_recovery_codes,
         name="mfa_recovery_codes"),
    path("account/two-factor/disable/", account_views.mfa_disable, name="mfa_disable"),
]
