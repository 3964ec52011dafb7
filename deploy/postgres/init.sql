CREATE DATABASE huleedu_content;
CREATE DATABASE huleedu_cj;
